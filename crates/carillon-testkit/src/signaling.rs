//! The signaling client: one WebSocket per session, speaking the Chime SDK's frames with the
//! server's own codec ([`carillon_signaling::frames`], which `carillon-signaling`'s tests check
//! against the SDK's).
//!
//! It opens the socket as the Amazon Chime SDK for JavaScript does: `GET
//! /control/<MeetingId>` with the SDK's query, and the subprotocols `_aws_wt_session` and the
//! JoinToken. [`Wire`] answers errors as values (the load generator counts them); the tests'
//! `Client` (with the `sdk` feature) wraps it and fails the test instead.

use std::net::SocketAddr;
use std::time::Duration;

use carillon_signaling::frames::{
    self, FrameType, PingPongType, SdkAudioControlFrame, SdkDataMessageFrame,
    SdkDataMessagePayload, SdkJoinFrame, SdkLeaveFrame, SdkPingPongFrame, SdkSignalFrame,
    SdkSubscribeFrame, StreamServiceType,
};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// The WebSocket library, for its configuration and error types.
pub use tokio_tungstenite::tungstenite;

#[cfg(feature = "sdk")]
mod client;

#[cfg(feature = "sdk")]
pub use client::{data, Client, Closed, OFFER, WAIT};

/// The subprotocol the SDK offers first and the server echoes.
const SUBPROTOCOL: &str = "_aws_wt_session";

/// Why a socket could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The TCP connection or the upgrade failed (a refusal is `Http` with its response).
    Upgrade(tungstenite::Error),
    /// The upgrade answered another subprotocol than `_aws_wt_session`.
    Subprotocol(Option<String>),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Upgrade(e) => write!(f, "upgrade: {e}"),
            OpenError::Subprotocol(p) => write!(f, "upgrade answered subprotocol {p:?}"),
        }
    }
}

/// What the server sent.
// Matched as soon as it is returned and never stored: boxing the frame would cost an
// allocation per frame for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Incoming {
    /// A signaling frame.
    Frame(FrameType, SdkSignalFrame),
    /// The server's close: its code and reason, if it gave them.
    Close(Option<(u16, String)>),
    /// A WebSocket message that is not a frame (text, ping, pong), described.
    Other(String),
}

/// Why nothing more can be read.
#[derive(Debug)]
pub enum RecvError {
    /// A binary message that is not a frame.
    Undecodable(String),
    /// The connection failed.
    Transport(String),
    /// The connection ended without a close.
    Ended,
}

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecvError::Undecodable(e) => write!(f, "server sent {e}"),
            RecvError::Transport(e) => write!(f, "read: {e}"),
            RecvError::Ended => write!(f, "connection closed"),
        }
    }
}

/// One signaling session's socket.
pub struct Wire {
    ws: WebSocketStream<TcpStream>,
}

impl Wire {
    /// Connects (with `TCP_NODELAY`, as the browser's WebSocket does) and upgrades.
    pub async fn open(addr: SocketAddr, meeting_id: &str, token: &str) -> Result<Wire, OpenError> {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| OpenError::Upgrade(e.into()))?;
        stream
            .set_nodelay(true)
            .map_err(|e| OpenError::Upgrade(e.into()))?;
        Wire::open_on(stream, None, &addr.to_string(), meeting_id, token).await
    }

    /// Upgrades a TCP connection the caller made (to set socket options or time the connect),
    /// with tungstenite's buffers sized by `config`; `host` is the `Host` of the URL.
    pub async fn open_on(
        stream: TcpStream,
        config: Option<WebSocketConfig>,
        host: &str,
        meeting_id: &str,
        token: &str,
    ) -> Result<Wire, OpenError> {
        let url = format!(
            "ws://{host}/control/{meeting_id}?X-Chime-Control-Protocol-Version=3&X-Amzn-Chime-Send-Close-On-Error=1"
        );
        let mut request = url.into_client_request().map_err(OpenError::Upgrade)?;
        let protocols = HeaderValue::from_str(&format!("{SUBPROTOCOL}, {token}"))
            .map_err(|e| OpenError::Upgrade(tungstenite::Error::HttpFormat(e.into())))?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", protocols);
        let (ws, response) = tokio_tungstenite::client_async_with_config(request, stream, config)
            .await
            .map_err(OpenError::Upgrade)?;
        let echoed = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok());
        if echoed != Some(SUBPROTOCOL) {
            return Err(OpenError::Subprotocol(echoed.map(str::to_owned)));
        }
        Ok(Wire { ws })
    }

    /// Sends one frame (and flushes it).
    pub async fn send(&mut self, frame: &SdkSignalFrame) -> Result<(), String> {
        self.send_raw(frames::encode(frame).to_vec()).await
    }

    /// Sends one binary message of any bytes.
    pub async fn send_raw(&mut self, bytes: Vec<u8>) -> Result<(), String> {
        self.ws
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|e| format!("send: {e}"))
    }

    /// The next message. Cancel-safe (a partial read stays in the stream), so it can be used
    /// in `select!`.
    pub async fn recv(&mut self) -> Result<Incoming, RecvError> {
        match self.ws.next().await {
            Some(Ok(Message::Binary(bytes))) => frames::decode(&bytes)
                .map(|(kind, frame)| Incoming::Frame(kind, frame))
                .map_err(|e| RecvError::Undecodable(e.to_string())),
            Some(Ok(Message::Close(close))) => Ok(Incoming::Close(
                close.map(|c| (u16::from(c.code), c.reason.to_string())),
            )),
            Some(Ok(other)) => Ok(Incoming::Other(format!("{other:?}"))),
            Some(Err(e)) => Err(RecvError::Transport(e.to_string())),
            None => Err(RecvError::Ended),
        }
    }

    /// The next frame; a close, a failure or an undecodable frame is an error. Cancel-safe.
    pub async fn next(&mut self) -> Result<(FrameType, SdkSignalFrame), String> {
        loop {
            match self.recv().await.map_err(|e| e.to_string())? {
                Incoming::Frame(kind, frame) => return Ok((kind, frame)),
                Incoming::Close(Some((code, reason))) => {
                    return Err(format!("closed by the server: {code} {reason}"))
                }
                Incoming::Close(None) => return Err("closed by the server".into()),
                Incoming::Other(_) => continue,
            }
        }
    }

    /// JOIN as the SDK sends it (protocol 2, up to 25 videos, wants compressed SDP).
    pub async fn send_join(&mut self, audio_session_id: u64) -> Result<(), String> {
        let mut join = frame(FrameType::Join);
        join.join = Some(SdkJoinFrame {
            protocol_version: Some(2),
            max_num_of_videos: Some(25),
            flags: Some(2),
            client_details: None,
            audio_session_id: Some(audio_session_id),
            wants_compressed_sdp: Some(true),
        });
        self.send(&join).await
    }

    /// SUBSCRIBE with this offer, duplex, unmuted.
    pub async fn send_subscribe(&mut self, offer: &str) -> Result<(), String> {
        let mut sub = frame(FrameType::Subscribe);
        sub.sub = Some(SdkSubscribeFrame {
            duplex: Some(StreamServiceType::Duplex as i32),
            send_streams: Vec::new(),
            receive_stream_ids: Vec::new(),
            sdp_offer: Some(offer.to_owned()),
            audio_host: None,
            audio_checkin: None,
            audio_muted: Some(false),
            compressed_sdp_offer: None,
        });
        self.send(&sub).await
    }

    /// AUDIO_CONTROL: mute or unmute.
    pub async fn send_mute(&mut self, muted: bool) -> Result<(), String> {
        let mut control = frame(FrameType::AudioControl);
        control.audio_control = Some(SdkAudioControlFrame { muted: Some(muted) });
        self.send(&control).await
    }

    pub async fn send_ping(&mut self, id: u32) -> Result<(), String> {
        let mut ping = frame(FrameType::PingPong);
        ping.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Ping as i32),
            ping_id: Some(id),
        });
        self.send(&ping).await
    }

    /// One DATA_MESSAGE frame carrying these messages.
    pub async fn send_data(&mut self, messages: Vec<SdkDataMessagePayload>) -> Result<(), String> {
        let mut data = frame(FrameType::DataMessage);
        data.data_message = Some(SdkDataMessageFrame { messages });
        self.send(&data).await
    }

    pub async fn send_leave(&mut self) -> Result<(), String> {
        let mut leave = frame(FrameType::Leave);
        leave.leave = Some(SdkLeaveFrame {});
        self.send(&leave).await
    }

    /// Closes the socket with this close frame (none: a bare close), waiting at most 2 s.
    pub async fn close(mut self, frame: Option<CloseFrame>) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(frame)).await;
    }
}

/// An empty frame of `kind`, stamped now.
pub fn frame(kind: FrameType) -> SdkSignalFrame {
    SdkSignalFrame::now(kind)
}

/// A data message as the SDK sends it.
pub fn message(topic: &str, data: Vec<u8>, lifetime_ms: Option<u32>) -> SdkDataMessagePayload {
    SdkDataMessagePayload {
        topic: Some(topic.to_owned()),
        data: Some(data),
        lifetime_ms,
        sender_attendee_id: None,
        ingest_time_ns: None,
        sender_external_user_id: None,
    }
}

/// Whether a PING_PONG frame is a PONG, and its id.
pub fn pong_id(frame: &SdkSignalFrame) -> Option<u32> {
    let pp = frame.ping_pong.as_ref()?;
    (pp.r#type == Some(PingPongType::Pong as i32)).then_some(pp.ping_id.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

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
