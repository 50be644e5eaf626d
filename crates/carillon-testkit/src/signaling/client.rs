//! The tests' signaling client: a [`Wire`] that fails the test on any error, and waits a
//! bounded time for what it expects.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_chimesdkmeetings::types::{Attendee, Meeting};
use carillon_signaling::frames::{
    FrameType, SdkAudioStreamIdInfo, SdkDataMessagePayload, SdkSignalFrame,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::{message, Incoming, OpenError, RecvError, Wire};

/// How long a test waits for a frame it expects.
pub const WAIT: Duration = Duration::from_secs(5);

/// Chrome's offer for an SDK session, reduced to what the server reads: one audio section, one
/// inactive video section.
pub const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
    m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:cli1\r\n\
    a=ice-pwd:clientpasswordclientpass\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n\
    m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n\
    a=rtpmap:96 VP8/90000\r\n";

/// The audio session id the tests' JOIN carries.
const AUDIO_SESSION_ID: u64 = 42;

pub struct Client {
    wire: Wire,
    /// The attendee this client joined as (empty until it joins through [`Client::join`]).
    pub attendee_id: String,
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub audio_status: Option<u32>,
    pub code: Option<u16>,
}

impl Client {
    /// Opens the WebSocket as the SDK does (see [`Wire::open`]).
    pub async fn open(server: SocketAddr, meeting_id: &str, token: &str) -> Client {
        Client::try_open(server, meeting_id, token)
            .await
            .expect("the upgrade is accepted")
    }

    pub async fn try_open(
        server: SocketAddr,
        meeting_id: &str,
        token: &str,
    ) -> Result<Client, OpenError> {
        let wire = Wire::open(server, meeting_id, token).await?;
        Ok(Client::opened(wire))
    }

    /// [`Client::try_open`] over a TCP connection the caller made (to set socket options of its
    /// own), with tungstenite's buffers sized by `config`.
    pub async fn try_open_on(
        stream: TcpStream,
        config: Option<WebSocketConfig>,
        server: SocketAddr,
        meeting_id: &str,
        token: &str,
    ) -> Result<Client, OpenError> {
        let wire = Wire::open_on(stream, config, &server.to_string(), meeting_id, token).await?;
        Ok(Client::opened(wire))
    }

    fn opened(wire: Wire) -> Client {
        Client {
            wire,
            attendee_id: String::new(),
        }
    }

    /// Opens and joins as `attendee` of `meeting` (JOIN → JOIN_ACK + INDEX).
    pub async fn join(server: SocketAddr, meeting: &Meeting, attendee: &Attendee) -> Client {
        let mut client = Client::open(
            server,
            meeting.meeting_id().expect("a MeetingId"),
            attendee.join_token().expect("a JoinToken"),
        )
        .await;
        client.attendee_id = attendee.attendee_id().expect("an AttendeeId").to_owned();
        client.send_join().await;
        let ack = client.expect(FrameType::JoinAck).await;
        assert_eq!(
            ack.joinack.expect("a JOIN_ACK").wants_compressed_sdp,
            Some(false)
        );
        client.expect(FrameType::Index).await;
        client
    }

    /// Joins and subscribes: the session is then in the audio roster.
    pub async fn join_audio(server: SocketAddr, meeting: &Meeting, attendee: &Attendee) -> Client {
        let mut client = Client::join(server, meeting, attendee).await;
        client.subscribe().await;
        client
    }

    pub async fn send_frame(&mut self, frame: &SdkSignalFrame) {
        self.wire.send(frame).await.expect("send");
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.wire.send_raw(bytes).await.expect("send");
    }

    pub async fn send_join(&mut self) {
        self.wire.send_join(AUDIO_SESSION_ID).await.expect("send");
    }

    /// SUBSCRIBE with [`OFFER`]; returns the SDP answer.
    pub async fn subscribe(&mut self) -> String {
        self.send_subscribe(OFFER).await;
        let ack = self.expect(FrameType::SubscribeAck).await;
        ack.suback
            .expect("a SUBSCRIBE_ACK")
            .sdp_answer
            .expect("an SDP answer")
    }

    /// SUBSCRIBE with this offer, without waiting for the answer.
    pub async fn send_subscribe(&mut self, offer: &str) {
        self.wire.send_subscribe(offer).await.expect("send");
    }

    pub async fn mute(&mut self, muted: bool) {
        self.wire.send_mute(muted).await.expect("send");
    }

    pub async fn send_data(&mut self, messages: Vec<SdkDataMessagePayload>) {
        self.wire.send_data(messages).await.expect("send");
    }

    pub async fn ping(&mut self, id: u32) {
        self.wire.send_ping(id).await.expect("send");
    }

    pub async fn leave(&mut self) {
        self.wire.send_leave().await.expect("send");
        self.expect(FrameType::LeaveAck).await;
    }

    /// The next frame, or `None` when the connection closes or nothing comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SdkSignalFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.wire.recv())
                .await
                .ok()?
            {
                Ok(Incoming::Frame(_, frame)) => return Some(frame),
                Ok(Incoming::Close(_)) => return None,
                Ok(Incoming::Other(_)) => continue,
                Err(RecvError::Undecodable(e)) => panic!("the server sent an invalid frame: {e}"),
                Err(_) => return None,
            }
        }
    }

    /// The next frame, which must be of `kind`.
    pub async fn expect(&mut self, kind: FrameType) -> SdkSignalFrame {
        let frame = self
            .next_within(WAIT)
            .await
            .unwrap_or_else(|| panic!("no {kind:?} frame"));
        assert_eq!(frame.kind(), Some(kind), "{frame:?}");
        frame
    }

    /// The next presence frame's entries.
    pub async fn presence(&mut self) -> Vec<SdkAudioStreamIdInfo> {
        self.expect(FrameType::AudioStreamIdInfo)
            .await
            .audio_stream_id_info
            .expect("an AUDIO_STREAM_ID_INFO")
            .streams
    }

    /// Nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        match tokio::time::timeout(wait, self.wire.recv()).await {
            Ok(Ok(message)) => panic!("unexpected message {message:?}"),
            Ok(Err(RecvError::Undecodable(e))) => panic!("unexpected message ({e})"),
            Ok(Err(_)) | Err(_) => {}
        }
    }

    /// Reads until the server closes: the AUDIO_STATUS it sent, if any, and the close code.
    pub async fn closed(&mut self) -> Closed {
        let mut audio_status = None;
        loop {
            let message = tokio::time::timeout(WAIT, self.wire.recv())
                .await
                .expect("the server closes in time");
            match message {
                Ok(Incoming::Frame(kind, frame)) => {
                    if kind == FrameType::AudioStatus {
                        audio_status = frame.audio_status.and_then(|s| s.audio_status);
                    }
                }
                Ok(Incoming::Close(close)) => {
                    return Closed {
                        audio_status,
                        code: close.map(|(code, _)| code),
                    }
                }
                Ok(Incoming::Other(_)) => {}
                Err(RecvError::Undecodable(e)) => panic!("the server sent an invalid frame: {e}"),
                Err(_) => {
                    return Closed {
                        audio_status,
                        code: None,
                    }
                }
            }
        }
    }

    /// Closes the socket without LEAVE, as a closed tab does.
    pub async fn drop_connection(self) {
        self.wire
            .close(Some(CloseFrame {
                code: CloseCode::Away,
                reason: "".into(),
            }))
            .await;
    }
}

/// A data message as the SDK sends it, with a text payload.
pub fn data(topic: &str, text: &str, lifetime_ms: Option<u32>) -> SdkDataMessagePayload {
    message(topic, text.as_bytes().to_vec(), lifetime_ms)
}
