//! One signaling session: a task per WebSocket that reads the client's frames, writes the
//! frames queued for it, and ends when the client goes, the server ends it, or it falls silent.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::admission::Admitted;
use crate::ending::Ending;
use crate::frames::{
    self, FrameType, PingPongType, SdkErrorFrame, SdkIndexFrame, SdkJoinAckFrame, SdkLeaveAckFrame,
    SdkPingPongFrame, SdkSignalFrame, SdkSubscribeAckFrame, SdkSubscribeFrame, StreamServiceType,
};
use crate::ice::{AudioCommand, IceCredentials, IceRegistration};
use crate::room::{Departure, EndSignal, JoinRefusal, Joined, Joiner, Relayed, Room, SessionLink};
use crate::sdp;
use crate::Plane;
use carillon_core::SessionChange;
use carillon_media::engine::Attach;
use carillon_media::mixer::Role;

/// Frames queued to one session before it counts as not reading. A joiner's greeting and replay
/// of buffered data messages (up to 1,024) must fit, with room for a burst of presence.
const QUEUE: usize = 1024 + 256;

/// How long a refused client gets to send its JOIN before the refusal is sent anyway.
const REFUSAL_WAIT: Duration = Duration::from_secs(10);

/// How long a client that sent LEAVE gets to close the socket itself.
const LEAVE_GRACE: Duration = Duration::from_secs(5);

/// How long the server's last frames (AUDIO_STATUS, close) may take to leave. A client that does
/// not read would otherwise keep its session, and the slot it takes, for as long as it keeps the
/// connection open.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Where the session is in the protocol.
enum Stage {
    AwaitingJoin,
    Joined(Arc<Room>),
    Left,
}

/// What the session does after a frame.
enum Next {
    Continue,
    End(Ending),
}

struct Session {
    plane: Arc<Plane>,
    admitted: Admitted,
    id: u64,
    stage: Stage,
    frames: mpsc::Sender<Bytes>,
    end: Arc<EndSignal>,
    /// ICE credentials and their registration, from the first SUBSCRIBE on.
    ice: Option<(IceCredentials, Option<IceRegistration>)>,
    answers: u32,
    sdp_session_id: u64,
    audio_ssrc: u32,
}

/// Serves a refused client: waits for its JOIN (the SDK reads a close as a refusal only while
/// it waits for JOIN_ACK), then tells it why and closes.
pub(crate) async fn refuse(mut socket: WebSocket, ending: Ending) {
    let _ = tokio::time::timeout(REFUSAL_WAIT, socket.recv()).await;
    close(&mut socket, ending).await;
}

/// Serves an admitted client until the session ends.
pub(crate) async fn serve(mut socket: WebSocket, plane: Arc<Plane>, admitted: Admitted) {
    let (frames, mut queued) = mpsc::channel(QUEUE);
    let mut session = Session {
        id: plane.next_session_id(),
        plane,
        admitted,
        stage: Stage::AwaitingJoin,
        frames,
        end: Arc::default(),
        ice: None,
        answers: 0,
        sdp_session_id: rand::random::<u64>() >> 1,
        audio_ssrc: rand::random(),
    };
    let idle_timeout = session.plane.config.idle_timeout;
    let mut deadline = Instant::now() + idle_timeout;
    let end = session.end.clone();
    let departure = loop {
        tokio::select! {
            biased;
            ending = end.ended() => {
                close(&mut socket, ending).await;
                break ending.name;
            }
            Some(frame) = queued.recv() => {
                // A fault rule may hold the frame first (one atomic read when there is none);
                // the frames after it wait behind it, as on a slow link.
                let delay = session.frame_delay();
                // The send waits while the client does not read. It must not wait past the
                // session's end (the room ends a member whose queue is full), nor longer than
                // the client may stay silent: the ending is then acted on at the top.
                let send = async {
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                    socket.send(Message::Binary(frame)).await
                };
                tokio::select! {
                    sent = send => {
                        if sent.is_err() {
                            break "dropped";
                        }
                    }
                    _ = end.ended() => {}
                    () = tokio::time::sleep(idle_timeout + delay.unwrap_or_default()) => {
                        session.end.end(Ending::SLOW)
                    }
                }
            }
            received = socket.recv() => {
                let next = match received {
                    Some(Ok(Message::Binary(message))) => {
                        deadline = Instant::now() + idle_timeout;
                        session.on_message(&message)
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => Next::Continue,
                    Some(Ok(Message::Text(_))) => Next::End(Ending::PROTOCOL),
                    // A client that closes without LEAVE (a closed tab) has dropped.
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break "dropped",
                };
                if let Next::End(ending) = next {
                    session.end.end(ending);
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                let ending = if matches!(session.stage, Stage::Left) {
                    Ending::AFTER_LEAVE
                } else {
                    Ending::IDLE
                };
                session.end.end(ending);
            }
        }
        if matches!(session.stage, Stage::Left) {
            deadline = deadline.min(Instant::now() + LEAVE_GRACE);
        }
    };
    session.finish(departure);
}

impl Session {
    /// How long a fault rule holds the next frame to this session.
    fn frame_delay(&self) -> Option<Duration> {
        let faults = &self.plane.config.faults;
        if !faults.has_signaling_rules() {
            return None;
        }
        faults.frame_delay(&self.admitted.fault_key())
    }

    fn on_message(&mut self, message: &[u8]) -> Next {
        let metrics = &self.plane.metrics;
        let (kind, frame) = match frames::decode(message) {
            Ok(decoded) => decoded,
            Err(frames::FrameError::UnknownType(_)) => {
                // A frame of a newer SDK, perhaps: say so, and carry on.
                metrics.frame("unknown");
                self.send(error_frame(
                    FrameType::Notification,
                    400,
                    "unknown frame type",
                ));
                return Next::Continue;
            }
            Err(_) => {
                metrics.frame("invalid");
                return Next::End(Ending::PROTOCOL);
            }
        };
        metrics.frame(kind.name());
        match (&self.stage, kind) {
            (Stage::AwaitingJoin, FrameType::Join) => self.join(&frame),
            // The SDK pings as soon as the socket opens, before its JOIN.
            (_, FrameType::PingPong) => {
                if let Some(ping) = frame.ping_pong {
                    if ping.r#type == Some(PingPongType::Ping as i32) {
                        let mut pong = SdkSignalFrame::now(FrameType::PingPong);
                        pong.ping_pong = Some(SdkPingPongFrame {
                            r#type: Some(PingPongType::Pong as i32),
                            ping_id: Some(ping.ping_id.unwrap_or(0)),
                        });
                        self.send(frames::encode(&pong));
                    }
                }
                Next::Continue
            }
            (Stage::AwaitingJoin, _) => Next::End(Ending::PROTOCOL),
            (Stage::Left, _) => Next::Continue,
            (Stage::Joined(room), kind) => {
                let room = room.clone();
                self.joined_frame(&room, kind, frame)
            }
        }
    }

    fn joined_frame(&mut self, room: &Arc<Room>, kind: FrameType, frame: SdkSignalFrame) -> Next {
        match kind {
            FrameType::Subscribe => {
                let Some(subscribe) = frame.sub else {
                    self.send(error_frame(
                        FrameType::SubscribeAck,
                        400,
                        "SUBSCRIBE without its frame",
                    ));
                    return Next::Continue;
                };
                self.subscribe(room, &subscribe);
                Next::Continue
            }
            FrameType::AudioControl => {
                if let Some(muted) = frame.audio_control.and_then(|c| c.muted) {
                    room.mute(self.id, muted);
                    self.plane.ice.audio(AudioCommand::Muted(self.id, muted));
                }
                Next::Continue
            }
            FrameType::DataMessage => {
                let messages = frame.data_message.map(|d| d.messages).unwrap_or_default();
                match room.relay(self.id, messages) {
                    Relayed::Done { relayed, bounced } => {
                        self.plane.metrics.data_messages("relayed", relayed);
                        self.plane.metrics.data_messages("bounced", bounced);
                        Next::Continue
                    }
                    Relayed::HangUp => Next::End(Ending::DATA_FLOOD),
                }
            }
            FrameType::Leave => {
                let mut ack = SdkSignalFrame::now(FrameType::LeaveAck);
                ack.leave_ack = Some(SdkLeaveAckFrame {});
                self.send(frames::encode(&ack));
                if room.leave(self.id, Departure::Left) {
                    self.plane
                        .session_event(self.admitted.event(SessionChange::Left));
                }
                self.plane.hub.release(room);
                self.ice = None;
                self.stage = Stage::Left;
                tracing::info!(
                    meeting_id = %self.admitted.meeting_id,
                    attendee_id = %self.admitted.attendee_id,
                    "attendee left"
                );
                self.plane.metrics.departed("left");
                Next::Continue
            }
            FrameType::Join => {
                self.send(error_frame(FrameType::JoinAck, 400, "already joined"));
                Next::Continue
            }
            // Telemetry and video controls: counted, and for now nothing else (no video yet).
            _ => Next::Continue,
        }
    }

    fn join(&mut self, frame: &SdkSignalFrame) -> Next {
        if frame.join.is_none() {
            return Next::End(Ending::PROTOCOL);
        }
        let mut ack = SdkSignalFrame::now(FrameType::JoinAck);
        let turn = self.plane.config.turn.as_ref().map(|turn| {
            let now_secs = u64::try_from(carillon_core::clock::real_ms() / 1000).unwrap_or(0);
            turn.credentials(&self.admitted.attendee_id, now_secs)
        });
        ack.joinack = Some(SdkJoinAckFrame {
            turn_credentials: turn,
            video_subscription_limit: None,
            // Plain SDP: compression saves bytes the server has no use for.
            wants_compressed_sdp: Some(false),
            default_server_side_network_adaption: None,
        });
        let mut index = SdkSignalFrame::now(FrameType::Index);
        index.index = Some(SdkIndexFrame {
            at_capacity: Some(false),
            sources: Vec::new(),
            paused_at_source_ids: Vec::new(),
            num_participants: None,
        });
        let greeting = [frames::encode(&ack), frames::encode(&index)];
        let admitted = &self.admitted;
        loop {
            let room = self.plane.hub.room(&admitted.meeting_id);
            let joiner = Joiner {
                session: self.id,
                attendee_id: admitted.attendee_id.clone(),
                external_user_id: admitted.external_user_id.clone(),
                content: admitted.content,
                link: SessionLink {
                    frames: self.frames.clone(),
                    end: self.end.clone(),
                },
            };
            let hub = &self.plane.hub;
            let check = || hub.admitted(&admitted.meeting_id, &admitted.attendee_id);
            match room.join(joiner, &greeting, check) {
                Ok(joined) => {
                    self.plane.session_event(match joined {
                        Joined::Fresh => admitted.event(SessionChange::Joined),
                        Joined::Replacing => admitted.authorized_again(),
                    });
                    tracing::info!(
                        meeting_id = %admitted.meeting_id,
                        attendee_id = %admitted.attendee_id,
                        "attendee joined"
                    );
                    self.plane.metrics.joined();
                    self.stage = Stage::Joined(room);
                    return Next::Continue;
                }
                Err(JoinRefusal::Retired) => continue,
                Err(JoinRefusal::Ended(ending)) => {
                    self.plane.metrics.refused(ending.name);
                    hub.release(&room);
                    // Still waiting for JOIN_ACK, the SDK reads the meeting's end from the close
                    // code alone.
                    let ending = if ending == Ending::MEETING_ENDED {
                        Ending::MEETING_NOT_FOUND
                    } else {
                        ending
                    };
                    return Next::End(ending);
                }
            }
        }
    }

    fn subscribe(&mut self, room: &Arc<Room>, subscribe: &SdkSubscribeFrame) {
        let Some(offer) = subscribe.sdp_offer.as_deref() else {
            self.send(error_frame(
                FrameType::SubscribeAck,
                400,
                "SUBSCRIBE needs an uncompressed sdp_offer",
            ));
            return;
        };
        let plane = &self.plane;
        if self.ice.is_none() {
            self.ice = Some((IceCredentials::generate(), None));
        }
        let Some((creds, registration)) = self.ice.as_mut() else {
            return;
        };
        self.answers += 1;
        let params = sdp::AnswerParams {
            ice_ufrag: creds.ufrag(),
            ice_pwd: creds.pwd(),
            candidate: plane.media_candidate(),
            fingerprint: &plane.fingerprint,
            audio_direction: self.admitted.audio_direction,
            audio_ssrc: self.audio_ssrc,
            stream_label: &self.admitted.stream_label,
            track_label: &self.admitted.track_label,
            session_id: self.sdp_session_id,
            version: self.answers,
        };
        match sdp::answer(offer, &params) {
            Ok(answer) => {
                let muted = subscribe.audio_muted.unwrap_or(false);
                // The first answer decides whether the session's checks reach a media
                // endpoint; a renegotiation keeps the endpoint and updates its audio.
                let attach = answer
                    .audio
                    .filter(|_| !self.admitted.content && plane.ice.has_audio())
                    .map(|plan| Attach {
                        session: self.id,
                        meeting: self.admitted.meeting_id.clone(),
                        plan,
                        ufrag: creds.ufrag().to_owned(),
                        pwd: creds.pwd().to_owned(),
                        ssrc: self.audio_ssrc,
                        role: role(self.admitted.audio_direction),
                        muted,
                    });
                match (registration.as_ref(), attach) {
                    (None, Some(attach)) => {
                        *registration = Some(plane.ice.register_audio(creds, attach));
                    }
                    (None, None) => *registration = Some(plane.ice.register(creds)),
                    (Some(_), Some(attach)) => {
                        plane.ice.audio(AudioCommand::Attach(Box::new(attach)));
                    }
                    (Some(_), None) => {}
                }
                let mut ack = SdkSignalFrame::now(FrameType::SubscribeAck);
                ack.suback = Some(SdkSubscribeAckFrame {
                    duplex: Some(StreamServiceType::Duplex as i32),
                    allocations: Vec::new(),
                    sdp_answer: Some(answer.sdp),
                    tracks: Vec::new(),
                    compressed_sdp_answer: None,
                });
                self.send(frames::encode(&ack));
                room.subscribe(self.id, muted);
            }
            Err(e) => {
                self.send(error_frame(FrameType::SubscribeAck, 400, &e.to_string()));
            }
        }
    }

    /// Queues a frame to this session. A full queue means the client does not read: it is
    /// ended.
    fn send(&self, frame: Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.frames.try_send(frame) {
            self.end.end(Ending::SLOW);
        }
    }

    /// Takes the session out of its room; `how` names how it ended.
    fn finish(self, how: &'static str) {
        if let Stage::Joined(room) = &self.stage {
            // Still joined, it never sent LEAVE: whether its connection was lost or the server
            // ended it (silent, not reading, flooding, off the protocol), the others see it
            // dropped. Sessions ended by the control plane or replaced are out of the room
            // already.
            let change = if room.leave(self.id, Departure::Dropped) {
                Some(SessionChange::Dropped)
            } else {
                ended_elsewhere(how)
            };
            if let Some(change) = change {
                self.plane.session_event(self.admitted.event(change));
            }
            self.plane.hub.release(room);
            tracing::info!(
                meeting_id = %self.admitted.meeting_id,
                attendee_id = %self.admitted.attendee_id,
                how,
                "attendee session ended"
            );
            self.plane.metrics.departed(how);
        }
    }
}

/// How a session the room had already let go of ended, as the session events tell it
/// ([`crate::session_events`]): taken out by the control plane, it left; ended with the node (or
/// moved to another), it dropped and reconnects; replaced, it reports nothing.
fn ended_elsewhere(how: &str) -> Option<SessionChange> {
    if how == Ending::MEETING_ENDED.name || how == Ending::ATTENDEE_REMOVED.name {
        Some(SessionChange::Left)
    } else if how == Ending::REPLACED.name {
        None
    } else {
        Some(SessionChange::Dropped)
    }
}

fn error_frame(kind: FrameType, status: u32, description: &str) -> Bytes {
    let mut frame = SdkSignalFrame::now(kind);
    frame.error = Some(SdkErrorFrame {
        status: Some(status),
        description: Some(description.to_owned()),
    });
    frames::encode(&frame)
}

/// Sends the ending's AUDIO_STATUS (if any) and closes with its code, for at most
/// [`CLOSE_WAIT`].
async fn close(socket: &mut WebSocket, ending: Ending) {
    if ending.is_cut() {
        // Nothing is sent: the socket is dropped with the session, as a lost network drops it.
        return;
    }
    let last_frames = async {
        if let Some(status) = ending.audio_status {
            let mut frame = SdkSignalFrame::now(FrameType::AudioStatus);
            frame.audio_status = Some(frames::SdkAudioStatusFrame {
                audio_status: Some(status),
            });
            let _ = socket.send(Message::Binary(frames::encode(&frame))).await;
        }
        let _ = socket
            .send(Message::Close(Some(CloseFrame {
                code: ending.close_code,
                reason: ending.reason.into(),
            })))
            .await;
    };
    let _ = tokio::time::timeout(CLOSE_WAIT, last_frames).await;
}

/// What the mixer does with a session, from the audio direction its capability gives the
/// answer (the server's side: `SendOnly` means the attendee only receives).
pub(crate) fn role(direction: sdp::Direction) -> Role {
    match direction {
        sdp::Direction::SendRecv => Role {
            sends: true,
            hears: true,
        },
        sdp::Direction::SendOnly => Role {
            sends: false,
            hears: true,
        },
        sdp::Direction::RecvOnly => Role {
            sends: true,
            hears: false,
        },
        sdp::Direction::Inactive => Role {
            sends: false,
            hears: false,
        },
    }
}
