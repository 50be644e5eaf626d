//! A protocol client of the signaling plane, speaking the SDK's frames over a real WebSocket.

use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_chimesdkmeetings::types::{Attendee, Meeting};
use carillon_signaling::frames::{
    self, FrameType, PingPongType, SdkAudioControlFrame, SdkAudioStreamIdInfo, SdkDataMessageFrame,
    SdkDataMessagePayload, SdkJoinFrame, SdkLeaveFrame, SdkPingPongFrame, SdkSignalFrame,
    SdkSubscribeFrame,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame it expects.
pub const WAIT: Duration = Duration::from_secs(5);

/// Chrome's offer for an SDK session: one audio section, one inactive video section.
pub const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
    m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:cli1\r\n\
    a=ice-pwd:clientpasswordclientpass\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n\
    m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:1\r\na=inactive\r\n\
    a=rtpmap:96 VP8/90000\r\n";

pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub attendee_id: String,
}

/// How the server ended a connection.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub audio_status: Option<u32>,
    pub code: Option<u16>,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub fn frame(kind: FrameType) -> SdkSignalFrame {
    SdkSignalFrame::new(kind, now_ms())
}

impl Client {
    /// Opens the WebSocket as the SDK does: the meeting's SignalingUrl with the SDK's query, the
    /// subprotocols `_aws_wt_session` and the token.
    pub async fn open(server: SocketAddr, meeting_id: &str, token: &str) -> Client {
        Client::try_open(server, meeting_id, token)
            .await
            .expect("the upgrade is accepted")
    }

    pub async fn try_open(
        server: SocketAddr,
        meeting_id: &str,
        token: &str,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let stream = TcpStream::connect(server).await?;
        Client::try_open_on(stream, None, server, meeting_id, token).await
    }

    /// [`Client::try_open`] over a TCP connection the caller made (to set socket options of its
    /// own), with tungstenite's buffers sized by `config`.
    pub async fn try_open_on(
        stream: TcpStream,
        config: Option<WebSocketConfig>,
        server: SocketAddr,
        meeting_id: &str,
        token: &str,
    ) -> Result<Client, tokio_tungstenite::tungstenite::Error> {
        let request = upgrade_request(server, meeting_id, token)?;
        let stream = MaybeTlsStream::Plain(stream);
        let (ws, response) =
            tokio_tungstenite::client_async_with_config(request, stream, config).await?;
        Ok(Client::opened(ws, &response))
    }

    fn opened(ws: WebSocketStream<MaybeTlsStream<TcpStream>>, response: &Response) -> Client {
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("_aws_wt_session")
        );
        let attendee_id = String::new();
        Client { ws, attendee_id }
    }

    /// Opens and joins as `attendee` of `meeting` (JOIN → JOIN_ACK + INDEX).
    pub async fn join(server: SocketAddr, meeting: &Meeting, attendee: &Attendee) -> Client {
        let mut client = Client::open(
            server,
            meeting.meeting_id().unwrap(),
            attendee.join_token().unwrap(),
        )
        .await;
        client.attendee_id = attendee.attendee_id().unwrap().to_owned();
        client.send_join().await;
        let ack = client.expect(FrameType::JoinAck).await;
        assert_eq!(ack.joinack.unwrap().wants_compressed_sdp, Some(false));
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
        self.send_raw(frames::encode(frame).to_vec()).await;
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .expect("send");
    }

    pub async fn send_join(&mut self) {
        let mut join = frame(FrameType::Join);
        join.join = Some(SdkJoinFrame {
            protocol_version: Some(2),
            max_num_of_videos: Some(25),
            flags: Some(2),
            client_details: None,
            audio_session_id: Some(42),
            wants_compressed_sdp: Some(true),
        });
        self.send_frame(&join).await;
    }

    /// SUBSCRIBE with [`OFFER`]; returns the SDP answer.
    pub async fn subscribe(&mut self) -> String {
        self.send_subscribe(OFFER).await;
        let ack = self.expect(FrameType::SubscribeAck).await;
        ack.suback.unwrap().sdp_answer.expect("an SDP answer")
    }

    /// SUBSCRIBE with this offer, without waiting for the answer.
    pub async fn send_subscribe(&mut self, offer: &str) {
        let mut sub = frame(FrameType::Subscribe);
        sub.sub = Some(SdkSubscribeFrame {
            duplex: Some(3),
            send_streams: vec![],
            receive_stream_ids: vec![0],
            sdp_offer: Some(offer.to_owned()),
            audio_host: Some("host:3478".into()),
            audio_checkin: None,
            audio_muted: Some(false),
            compressed_sdp_offer: None,
        });
        self.send_frame(&sub).await;
    }

    pub async fn mute(&mut self, muted: bool) {
        let mut control = frame(FrameType::AudioControl);
        control.audio_control = Some(SdkAudioControlFrame { muted: Some(muted) });
        self.send_frame(&control).await;
    }

    pub async fn send_data(&mut self, messages: Vec<SdkDataMessagePayload>) {
        let mut data = frame(FrameType::DataMessage);
        data.data_message = Some(SdkDataMessageFrame { messages });
        self.send_frame(&data).await;
    }

    pub async fn ping(&mut self, id: u32) {
        let mut ping = frame(FrameType::PingPong);
        ping.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Ping as i32),
            ping_id: Some(id),
        });
        self.send_frame(&ping).await;
    }

    pub async fn leave(&mut self) {
        let mut leave = frame(FrameType::Leave);
        leave.leave = Some(SdkLeaveFrame {});
        self.send_frame(&leave).await;
        self.expect(FrameType::LeaveAck).await;
    }

    /// The next frame, or `None` when the connection closes or nothing comes within `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<SdkSignalFrame> {
        loop {
            let message = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match message.ok()? {
                Message::Binary(bytes) => {
                    let (_, frame) = frames::decode(&bytes).expect("the server sends valid frames");
                    return Some(frame);
                }
                Message::Close(_) => return None,
                _ => continue,
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
            .unwrap()
            .streams
    }

    /// Nothing arrives within `wait`.
    pub async fn expect_silence(&mut self, wait: Duration) {
        if let Ok(Some(Ok(message))) = tokio::time::timeout(wait, self.ws.next()).await {
            panic!("unexpected message {message:?}");
        }
    }

    /// Reads until the server closes: the AUDIO_STATUS it sent, if any, and the close code.
    pub async fn closed(&mut self) -> Closed {
        let mut audio_status = None;
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("the server closes in time");
            match message {
                Some(Ok(Message::Binary(bytes))) => {
                    let (kind, frame) = frames::decode(&bytes).expect("valid frame");
                    if kind == FrameType::AudioStatus {
                        audio_status = frame.audio_status.and_then(|s| s.audio_status);
                    }
                }
                Some(Ok(Message::Close(close))) => {
                    return Closed {
                        audio_status,
                        code: close.map(|c| u16::from(c.code)),
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    return Closed {
                        audio_status,
                        code: None,
                    }
                }
            }
        }
    }

    /// Closes the socket without LEAVE, as a closed tab does.
    pub async fn drop_connection(mut self) {
        let _ = self
            .ws
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Away,
                reason: "".into(),
            }))
            .await;
    }
}

/// The upgrade request the SDK sends: the meeting's SignalingUrl with the SDK's query, the
/// subprotocols `_aws_wt_session` and the token.
fn upgrade_request(
    server: SocketAddr,
    meeting_id: &str,
    token: &str,
) -> Result<Request, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "ws://{server}/control/{meeting_id}?X-Chime-Control-Protocol-Version=3&X-Amzn-Chime-Send-Close-On-Error=1"
    );
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&format!("_aws_wt_session, {token}")).unwrap(),
    );
    Ok(request)
}

/// A data message as the SDK sends it.
pub fn data(topic: &str, text: &str, lifetime_ms: Option<u32>) -> SdkDataMessagePayload {
    SdkDataMessagePayload {
        topic: Some(topic.to_owned()),
        data: Some(text.as_bytes().to_vec()),
        lifetime_ms,
        sender_attendee_id: None,
        ingest_time_ns: None,
        sender_external_user_id: None,
    }
}
