//! The frames of the Chime SDK's signaling protocol (`SignalingProtocol.proto`, proto2), written
//! as prost messages with the schema's field numbers and types. Only the messages and fields this
//! server reads or writes are declared: prost skips unknown fields when decoding, so a client
//! that sends more (metrics, video subscription settings, newer fields) is still understood.
//! The encodings are checked against the SDK's own codec in `tests/sdk_codec.rs`.
//!
//! On the wire every WebSocket message is one byte, [`FRAME_PREFIX`], then an `SdkSignalFrame`.

use prost::Message;

/// The byte in front of every protobuf frame. The SDK strips it blindly on receipt and puts it in
/// front of everything it sends.
pub const FRAME_PREFIX: u8 = 0x05;

/// `SdkSignalFrame.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum FrameType {
    Join = 1,
    JoinAck = 2,
    Subscribe = 3,
    SubscribeAck = 4,
    Index = 5,
    Pause = 7,
    Resume = 8,
    Leave = 9,
    LeaveAck = 10,
    Bitrates = 13,
    AudioControl = 16,
    AudioMetadata = 17,
    AudioStreamIdInfo = 18,
    PingPong = 19,
    AudioStatus = 20,
    ClientMetric = 21,
    DataMessage = 22,
    RemoteVideoUpdate = 24,
    PrimaryMeetingJoin = 25,
    PrimaryMeetingJoinAck = 26,
    PrimaryMeetingLeave = 27,
    Notification = 34,
    MeetingSessionTiming = 43,
}

impl FrameType {
    /// A name for metrics and logs.
    pub fn name(self) -> &'static str {
        match self {
            FrameType::Join => "JOIN",
            FrameType::JoinAck => "JOIN_ACK",
            FrameType::Subscribe => "SUBSCRIBE",
            FrameType::SubscribeAck => "SUBSCRIBE_ACK",
            FrameType::Index => "INDEX",
            FrameType::Pause => "PAUSE",
            FrameType::Resume => "RESUME",
            FrameType::Leave => "LEAVE",
            FrameType::LeaveAck => "LEAVE_ACK",
            FrameType::Bitrates => "BITRATES",
            FrameType::AudioControl => "AUDIO_CONTROL",
            FrameType::AudioMetadata => "AUDIO_METADATA",
            FrameType::AudioStreamIdInfo => "AUDIO_STREAM_ID_INFO",
            FrameType::PingPong => "PING_PONG",
            FrameType::AudioStatus => "AUDIO_STATUS",
            FrameType::ClientMetric => "CLIENT_METRIC",
            FrameType::DataMessage => "DATA_MESSAGE",
            FrameType::RemoteVideoUpdate => "REMOTE_VIDEO_UPDATE",
            FrameType::PrimaryMeetingJoin => "PRIMARY_MEETING_JOIN",
            FrameType::PrimaryMeetingJoinAck => "PRIMARY_MEETING_JOIN_ACK",
            FrameType::PrimaryMeetingLeave => "PRIMARY_MEETING_LEAVE",
            FrameType::Notification => "NOTIFICATION",
            FrameType::MeetingSessionTiming => "MEETING_SESSION_TIMING",
        }
    }
}

/// `timestamp_ms` and `type` are proto2 `required`, which prost would read as 0 and `JOIN` when
/// missing; they are declared optional so that [`decode`] can refuse a frame without them, as the
/// SDK's codec does. Their encoding is the same.
#[derive(Clone, PartialEq, Message)]
pub struct SdkSignalFrame {
    #[prost(uint64, optional, tag = "1")]
    pub timestamp_ms: Option<u64>,
    #[prost(enumeration = "FrameType", optional, tag = "2")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub error: Option<SdkErrorFrame>,
    #[prost(message, optional, tag = "4")]
    pub join: Option<SdkJoinFrame>,
    #[prost(message, optional, tag = "5")]
    pub joinack: Option<SdkJoinAckFrame>,
    #[prost(message, optional, tag = "6")]
    pub sub: Option<SdkSubscribeFrame>,
    #[prost(message, optional, tag = "7")]
    pub suback: Option<SdkSubscribeAckFrame>,
    #[prost(message, optional, tag = "8")]
    pub index: Option<SdkIndexFrame>,
    #[prost(message, optional, tag = "11")]
    pub leave: Option<SdkLeaveFrame>,
    #[prost(message, optional, tag = "12")]
    pub leave_ack: Option<SdkLeaveAckFrame>,
    #[prost(message, optional, tag = "17")]
    pub audio_control: Option<SdkAudioControlFrame>,
    #[prost(message, optional, tag = "18")]
    pub audio_metadata: Option<SdkAudioMetadataFrame>,
    #[prost(message, optional, tag = "19")]
    pub audio_stream_id_info: Option<SdkAudioStreamIdInfoFrame>,
    #[prost(message, optional, tag = "20")]
    pub ping_pong: Option<SdkPingPongFrame>,
    #[prost(message, optional, tag = "21")]
    pub audio_status: Option<SdkAudioStatusFrame>,
    #[prost(message, optional, tag = "23")]
    pub data_message: Option<SdkDataMessageFrame>,
    #[prost(message, optional, tag = "35")]
    pub notification: Option<SdkNotificationFrame>,
}

impl SdkSignalFrame {
    /// An empty frame of this type, stamped now (ms since the epoch).
    pub fn now(kind: FrameType) -> Self {
        let now_ms = u64::try_from(carillon_core::clock::real_ms()).unwrap_or(0);
        Self::new(kind, now_ms)
    }

    /// An empty frame of this type, stamped with `timestamp_ms`.
    pub fn new(kind: FrameType, timestamp_ms: u64) -> Self {
        SdkSignalFrame {
            timestamp_ms: Some(timestamp_ms),
            r#type: Some(kind as i32),
            error: None,
            join: None,
            joinack: None,
            sub: None,
            suback: None,
            index: None,
            leave: None,
            leave_ack: None,
            audio_control: None,
            audio_metadata: None,
            audio_stream_id_info: None,
            ping_pong: None,
            audio_status: None,
            data_message: None,
            notification: None,
        }
    }

    /// The frame's type, when it is one the schema knows.
    pub fn kind(&self) -> Option<FrameType> {
        self.r#type.and_then(|t| FrameType::try_from(t).ok())
    }
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkErrorFrame {
    #[prost(uint32, optional, tag = "1")]
    pub status: Option<u32>,
    #[prost(string, optional, tag = "2")]
    pub description: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkClientDetails {
    #[prost(string, optional, tag = "1")]
    pub app_name: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub app_version: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub platform_name: Option<String>,
    #[prost(string, optional, tag = "8")]
    pub chime_sdk_version: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkJoinFrame {
    #[prost(uint32, optional, tag = "1")]
    pub protocol_version: Option<u32>,
    #[prost(uint32, optional, tag = "2")]
    pub max_num_of_videos: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    pub flags: Option<u32>,
    #[prost(message, optional, tag = "4")]
    pub client_details: Option<SdkClientDetails>,
    #[prost(uint64, optional, tag = "6")]
    pub audio_session_id: Option<u64>,
    #[prost(bool, optional, tag = "7")]
    pub wants_compressed_sdp: Option<bool>,
}

/// `SdkServerSideNetworkAdaption`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ServerSideNetworkAdaption {
    Default = 1,
    None = 2,
    BandwidthProbing = 3,
    BandwidthProbingAndVideoQualityAdaption = 4,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkJoinAckFrame {
    #[prost(message, optional, tag = "1")]
    pub turn_credentials: Option<SdkTurnCredentials>,
    #[prost(uint32, optional, tag = "2")]
    pub video_subscription_limit: Option<u32>,
    #[prost(bool, optional, tag = "3")]
    pub wants_compressed_sdp: Option<bool>,
    #[prost(enumeration = "ServerSideNetworkAdaption", optional, tag = "4")]
    pub default_server_side_network_adaption: Option<i32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkTurnCredentials {
    #[prost(string, optional, tag = "1")]
    pub username: Option<String>,
    #[prost(string, optional, tag = "2")]
    pub password: Option<String>,
    #[prost(uint32, optional, tag = "3")]
    pub ttl: Option<u32>,
    #[prost(string, repeated, tag = "4")]
    pub uris: Vec<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkLeaveFrame {}

#[derive(Clone, PartialEq, Message)]
pub struct SdkLeaveAckFrame {}

/// `SdkStreamServiceType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum StreamServiceType {
    Rx = 1,
    Tx = 2,
    Duplex = 3,
}

/// `SdkStreamMediaType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum StreamMediaType {
    Audio = 1,
    Video = 2,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkSubscribeFrame {
    #[prost(enumeration = "StreamServiceType", optional, tag = "1")]
    pub duplex: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub send_streams: Vec<SdkStreamDescriptor>,
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub receive_stream_ids: Vec<u32>,
    #[prost(string, optional, tag = "4")]
    pub sdp_offer: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub audio_host: Option<String>,
    #[prost(bool, optional, tag = "6")]
    pub audio_checkin: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    pub audio_muted: Option<bool>,
    #[prost(bytes = "vec", optional, tag = "8")]
    pub compressed_sdp_offer: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkSubscribeAckFrame {
    #[prost(enumeration = "StreamServiceType", optional, tag = "1")]
    pub duplex: Option<i32>,
    #[prost(message, repeated, tag = "2")]
    pub allocations: Vec<SdkStreamAllocation>,
    #[prost(string, optional, tag = "3")]
    pub sdp_answer: Option<String>,
    #[prost(message, repeated, tag = "4")]
    pub tracks: Vec<SdkTrackMapping>,
    #[prost(bytes = "vec", optional, tag = "5")]
    pub compressed_sdp_answer: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkIndexFrame {
    #[prost(bool, optional, tag = "1")]
    pub at_capacity: Option<bool>,
    #[prost(message, repeated, tag = "2")]
    pub sources: Vec<SdkStreamDescriptor>,
    #[prost(uint32, repeated, packed = "false", tag = "3")]
    pub paused_at_source_ids: Vec<u32>,
    #[prost(uint32, optional, tag = "4")]
    pub num_participants: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkStreamDescriptor {
    #[prost(uint32, optional, tag = "1")]
    pub stream_id: Option<u32>,
    #[prost(uint32, optional, tag = "2")]
    pub framerate: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    pub max_bitrate_kbps: Option<u32>,
    #[prost(string, optional, tag = "4")]
    pub track_label: Option<String>,
    #[prost(uint32, optional, tag = "6")]
    pub group_id: Option<u32>,
    #[prost(uint32, optional, tag = "7")]
    pub avg_bitrate_bps: Option<u32>,
    #[prost(string, optional, tag = "8")]
    pub attendee_id: Option<String>,
    #[prost(enumeration = "StreamMediaType", optional, tag = "9")]
    pub media_type: Option<i32>,
    #[prost(string, optional, tag = "10")]
    pub external_user_id: Option<String>,
    #[prost(uint32, optional, tag = "11")]
    pub width: Option<u32>,
    #[prost(uint32, optional, tag = "12")]
    pub height: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkStreamAllocation {
    #[prost(string, optional, tag = "1")]
    pub track_label: Option<String>,
    #[prost(uint32, optional, tag = "2")]
    pub stream_id: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    pub group_id: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkTrackMapping {
    #[prost(uint32, optional, tag = "1")]
    pub stream_id: Option<u32>,
    #[prost(uint32, optional, tag = "2")]
    pub ssrc: Option<u32>,
    #[prost(string, optional, tag = "3")]
    pub track_label: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioControlFrame {
    #[prost(bool, optional, tag = "1")]
    pub muted: Option<bool>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioMetadataFrame {
    #[prost(message, repeated, tag = "1")]
    pub attendee_states: Vec<SdkAudioAttendeeState>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioAttendeeState {
    #[prost(uint32, optional, tag = "1")]
    pub audio_stream_id: Option<u32>,
    #[prost(uint32, optional, tag = "2")]
    pub volume: Option<u32>,
    #[prost(bool, optional, tag = "3")]
    pub muted: Option<bool>,
    #[prost(uint32, optional, tag = "4")]
    pub signal_strength: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioStreamIdInfoFrame {
    #[prost(message, repeated, tag = "1")]
    pub streams: Vec<SdkAudioStreamIdInfo>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioStreamIdInfo {
    #[prost(uint32, optional, tag = "1")]
    pub audio_stream_id: Option<u32>,
    #[prost(string, optional, tag = "2")]
    pub attendee_id: Option<String>,
    #[prost(bool, optional, tag = "3")]
    pub muted: Option<bool>,
    #[prost(string, optional, tag = "4")]
    pub external_user_id: Option<String>,
    #[prost(bool, optional, tag = "5")]
    pub dropped: Option<bool>,
}

/// `SdkPingPongType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PingPongType {
    Ping = 1,
    Pong = 2,
}

/// Both fields are proto2 `required`; optional here for the reason given at [`SdkSignalFrame`].
#[derive(Clone, PartialEq, Message)]
pub struct SdkPingPongFrame {
    #[prost(enumeration = "PingPongType", optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(uint32, optional, tag = "2")]
    pub ping_id: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkAudioStatusFrame {
    #[prost(uint32, optional, tag = "1")]
    pub audio_status: Option<u32>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkDataMessageFrame {
    #[prost(message, repeated, tag = "1")]
    pub messages: Vec<SdkDataMessagePayload>,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkDataMessagePayload {
    #[prost(string, optional, tag = "1")]
    pub topic: Option<String>,
    #[prost(bytes = "vec", optional, tag = "2")]
    pub data: Option<Vec<u8>>,
    #[prost(uint32, optional, tag = "3")]
    pub lifetime_ms: Option<u32>,
    #[prost(string, optional, tag = "4")]
    pub sender_attendee_id: Option<String>,
    #[prost(int64, optional, tag = "5")]
    pub ingest_time_ns: Option<i64>,
    #[prost(string, optional, tag = "6")]
    pub sender_external_user_id: Option<String>,
}

/// `SdkNotificationFrame.NotificationLevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum NotificationLevel {
    Info = 1,
    Warning = 2,
    Error = 3,
}

#[derive(Clone, PartialEq, Message)]
pub struct SdkNotificationFrame {
    #[prost(enumeration = "NotificationLevel", optional, tag = "1")]
    pub level: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub message: Option<String>,
}

/// Why a WebSocket message is not a frame this server can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("empty message")]
    Empty,
    #[error("message does not start with the frame prefix 0x05")]
    Prefix,
    #[error("undecodable frame: {0}")]
    Decode(String),
    #[error("unknown frame type {0}")]
    UnknownType(i32),
    #[error("missing required field {0}")]
    Missing(&'static str),
}

/// Decodes one WebSocket message: the prefix byte, then the frame.
pub fn decode(message: &[u8]) -> Result<(FrameType, SdkSignalFrame), FrameError> {
    let (&prefix, body) = message.split_first().ok_or(FrameError::Empty)?;
    if prefix != FRAME_PREFIX {
        return Err(FrameError::Prefix);
    }
    let frame = SdkSignalFrame::decode(body).map_err(|e| FrameError::Decode(e.to_string()))?;
    if frame.timestamp_ms.is_none() {
        return Err(FrameError::Missing("timestamp_ms"));
    }
    let kind = frame.r#type.ok_or(FrameError::Missing("type"))?;
    let kind = FrameType::try_from(kind).map_err(|_| FrameError::UnknownType(kind))?;
    Ok((kind, frame))
}

/// Encodes a frame as one WebSocket message.
pub fn encode(frame: &SdkSignalFrame) -> bytes::Bytes {
    let mut out = Vec::with_capacity(1 + frame.encoded_len());
    out.push(FRAME_PREFIX);
    frame
        .encode(&mut out)
        .expect("a Vec grows to hold any frame");
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_round_trips_with_its_prefix() {
        let mut frame = SdkSignalFrame::new(FrameType::PingPong, 1_700_000_000_000);
        frame.ping_pong = Some(SdkPingPongFrame {
            r#type: Some(PingPongType::Pong as i32),
            ping_id: Some(7),
        });
        let bytes = encode(&frame);
        assert_eq!(bytes[0], FRAME_PREFIX);
        assert_eq!(decode(&bytes), Ok((FrameType::PingPong, frame)));
    }

    #[test]
    fn bad_messages_are_named() {
        assert_eq!(decode(&[]), Err(FrameError::Empty));
        assert_eq!(decode(&[0x02, 0x08, 0x01]), Err(FrameError::Prefix));
        assert!(matches!(decode(&[0x05, 0xff]), Err(FrameError::Decode(_))));
        // timestamp 1, type 99.
        assert_eq!(
            decode(&[0x05, 0x08, 0x01, 0x10, 99]),
            Err(FrameError::UnknownType(99))
        );
    }

    #[test]
    fn a_frame_without_its_required_fields_is_refused() {
        // Only `timestamp_ms`; only `type`: the SDK's codec refuses both, and so does this one.
        assert_eq!(
            decode(&[0x05, 0x08, 0x01]),
            Err(FrameError::Missing("type"))
        );
        assert_eq!(
            decode(&[0x05, 0x10, 19]),
            Err(FrameError::Missing("timestamp_ms"))
        );
    }
}
